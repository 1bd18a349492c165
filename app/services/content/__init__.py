"""Site content: pages with revisions, news and promotions, home-page banners, the image library, the newsletter."""
